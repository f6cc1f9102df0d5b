import type { Messages } from '../messages.js';
import type en from '../en/commands.js';

// 명령 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '명령 보내기',
  send: '보내기',
  sent: '{{device}}에 보낸 명령',
  none: '이 장치에 보낸 명령이 아직 없습니다.',
  field: {
    device: '장치',
    name: '명령',
  },
  builtIn: {
    set_interval: '보고 주기 설정',
    set_threshold: '장치 내 임계값 설정',
    reboot: '재부팅',
  },
  param: {
    set_interval: { ms: '주기(ms)' },
    set_threshold: { metric: '측정 항목', low: '하한', high: '상한' },
  },
  col: {
    name: '명령',
    params: '매개변수',
    status: '상태',
    attempts: '시도',
    sent: '보낸 시각',
    reason: '사유',
  },
  status: {
    pending: '대기',
    delivered: '전달됨',
    acked: '확인됨',
    failed: '실패',
    timed_out: '시간 초과',
  },
};
export default ko;
