import type { Messages } from '../messages.js';
import type en from '../en/rejected.js';

// 거부된 메시지(데드 레터) 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '거부된 메시지',
  note: 'Fieldscope가 거부한 모든 메시지(잘못된 JSON, 숫자가 아닌 값, 매핑되지 않은 토픽, 너무 큰 메시지 등)를 원본 페이로드, 위반한 필드와 규칙과 함께 최신순으로 보여 줍니다(docs/ingest.md, “Bad input”).',
  device: '장치',
  filter: '보기',
  loading: '거부된 메시지를 불러오는 중…',
  none: '거부된 메시지가 없습니다.',
  noDevice: '알 수 없음',
  older: '이전',
  col: {
    at: '수신 시각',
    source: '출처',
    device: '장치',
    reason: '필드 · 규칙, 사유',
    payload: '페이로드',
  },
};
export default ko;
