import type { Messages } from '../messages.js';
import type en from '../en/alarmstats.js';

// 알람 통계 화면(GET /api/v1/alarms/stats)의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '알람 통계',
  note: '기간 중 발생한 알람을 규칙별, 장치별로 세고, 확인과 해제까지 걸린 시간을 보여 줍니다(docs/alarms.md).',
  period: '기간',
  periods: {
    '1d': '최근 24시간',
    '7d': '최근 7일',
    '30d': '최근 30일',
    all: '저장된 전체',
    custom: '직접 지정',
  },
  from: '시작',
  to: '끝',
  apply: '보기',
  loading: '통계를 불러오는 중…',
  none: '이 기간에 알람이 없습니다.',
  summary: '요약',
  total: '발생한 알람',
  open: '아직 열림',
  bySeverity: '심각도별',
  toAck: '확인까지 걸린 시간',
  toClear: '해제까지 걸린 시간',
  meanMax: '평균 {{mean}}, 최장 {{max}}(알람 {{count}}개)',
  never: '아직 없음',
  byRule: '규칙별',
  byDevice: '장치별',
  limited: '{{count}}개 중 알람이 가장 많은 {{shown}}개.',
  col: {
    rule: '규칙',
    device: '장치',
    count: '알람',
    occurrences: '발생 횟수',
    open: '열림',
    acked: '확인됨',
    toAck: '평균 확인 시간',
    toClear: '평균 해제 시간',
  },
};
export default ko;
