import type { Messages } from '../messages.js';
import type en from '../en/common.js';

// 모든 페이지가 함께 쓰는 한국어 메시지 (머리글, 로딩·오류 상태, 언어 전환).
const ko: Messages<typeof en> = {
  brand: 'Fieldscope',
  nav: {
    devices: '장치',
    alarms: '알람',
    admin: '관리',
  },
  account: {
    signedInAs: '{{name}}(으)로 로그인됨 ({{role}})',
    signOut: '로그아웃',
    signIn: '로그인',
    anonymous: '익명 · {{role}}',
    anonymousTitle: '익명 접근',
  },
  theme: {
    toDark: '어두운 테마로 전환',
    toLight: '밝은 테마로 전환',
  },
  language: {
    label: '언어',
    en: 'English',
    ko: '한국어',
  },
  live: {
    title: '실시간 업데이트: {{state}}',
    connecting: '연결 중…',
    connected: '실시간',
    reconnecting: '다시 연결 중…',
    closed: '오프라인',
  },
  loading: '불러오는 중…',
  serverUnreachable: '서버에 연결할 수 없습니다: {{message}}',
};
export default ko;
