import type { Messages } from '../messages.js';
import type en from '../en/login.js';

// 로그인 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '로그인',
  required: '이 Fieldscope는 로그인해야 내용을 볼 수 있습니다.',
  username: '사용자 이름',
  password: '비밀번호',
  submit: '로그인',
  busy: '로그인 중…',
  anonymous: '로그인하지 않고 계속',
  badCredentials: '사용자 이름 또는 비밀번호가 틀렸습니다',
  badInput: '사용자 이름(영문자, 숫자, _ . @ -)과 비밀번호를 확인하세요.',
  locked: '시도 횟수가 너무 많습니다. 잠시 기다린 뒤 다시 시도하세요.',
  unreachable: '서버에 연결할 수 없습니다: {{message}}',
  wait: '({{seconds}}초)',
  expired: '로그인이 끝났습니다. 다시 로그인하세요.',
};
export default ko;
