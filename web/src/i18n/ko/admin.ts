import type { Messages } from '../messages.js';
import type en from '../en/admin.js';

// 관리 화면(사용자, API 키, 장치 인증 정보)의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '사용자·키·장치 인증',
  notAdmin: '현재 역할로는 사용자, 키, 장치 인증 정보를 관리할 수 없습니다. 관리자로 로그인하세요.',
  shownOnce: '{{label}} — 한 번만 표시됩니다. 지금 복사하세요.',
  copy: '복사',
  copied: '복사됨',
  done: '완료',
  revoke: '폐기',
  revoked: '폐기됨',
  by: '{{time}} · {{who}}',
  users: {
    title: '사용자',
    name: '이름',
    role: '역할',
    state: '상태',
    active: '활성',
    disabled: '비활성',
    enable: '활성화',
    disable: '비활성화',
    roleOf: '{{name}}의 역할',
    newName: '새 사용자 이름',
    newPassword: '비밀번호(10자 이상)',
    newRole: '역할',
    add: '사용자 추가',
  },
  keys: {
    title: 'API 키',
    name: '이름',
    role: '역할',
    created: '생성',
    newKey: '새 API 키',
    newName: '키 이름(사용처)',
    newRole: '역할',
    create: '키 만들기',
  },
  creds: {
    title: '장치 인증 정보',
    device: '장치',
    issued: '발급',
    tokenFor: '{{device}}의 토큰(MQTT 사용자 이름 {{device}}, 비밀번호는 이 토큰)',
    newDevice: '장치 ID',
    issue: '토큰 발급',
  },
  actions: '작업',
};
export default ko;
