import type { Messages } from '../messages.js';
import type en from '../en/general.js';

// 대시보드 모든 페이지에 나오는 요소의 한국어 메시지 (접속 상태, 시각, 값, 없는 페이지).
const ko: Messages<typeof en> = {
  online: '온라인',
  offline: '오프라인',
  never: '없음',
  noProfile: '프로파일 없음',
  noReadings: '아직 측정값 없음',
  lastSeen: '마지막 수신',
  valueStatus: {
    normal: '정상',
    warning: '주의',
    alarm: '경보',
  },
  range: {
    normal: '정상 범위 {{low}}…{{high}}',
    valid: '유효 범위 {{low}}…{{high}}',
  },
  severity: {
    critical: '심각',
    major: '중대',
    minor: '경미',
    warning: '주의',
    info: '정보',
  },
  notFound: {
    nothingAt: '페이지가 없습니다:',
    back: '전체 장치로 돌아가기',
  },
  seriesShown: '차트에 표시할 계열',
};
export default ko;
