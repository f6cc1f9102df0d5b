import type { Messages } from '../messages.js';
import type en from '../en/mappings.js';

// 토픽 매핑 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '토픽 매핑',
  readOnly:
    '읽기 전용: 매핑은 설정(topicMappings, docs/topic-mappings.md 참고)에서 오며 GET /health가 보고하는 내용을 보여 줍니다. 이 버전에는 매핑을 바꾸는 API가 없습니다.',
  loading: '매핑을 불러오는 중…',
  none: '설정된 토픽 매핑이 없습니다. 장치는 devices/{id}/… 아래로 보냅니다.',
  deviceDefault: '{device} 또는 페이로드의 device_id',
  col: {
    topic: '토픽 패턴',
    device: '장치 ID 위치',
    metrics: '측정값 위치',
    profile: '프로파일',
    name: '이름',
  },
};
export default ko;
