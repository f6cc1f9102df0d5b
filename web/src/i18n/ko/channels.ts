import type { Messages } from '../messages.js';
import type en from '../en/channels.js';

// 알림 채널 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '알림 채널',
  loading: '채널을 불러오는 중…',
  none: '설정된 채널이 없습니다(docs/alarms.md 참고).',
  test: '테스트 보내기',
  log: '전송 기록',
  noLog: '아직 보낸 알림이 없습니다.',
  col: {
    name: '채널',
    type: '유형',
    policy: '정책',
    test: '테스트',
    when: '시각',
    kind: '종류',
    status: '상태',
    summary: '요약',
  },
  status: {
    sent: '전송됨',
    failed: '실패',
    pending: '대기',
  },
};
export default ko;
