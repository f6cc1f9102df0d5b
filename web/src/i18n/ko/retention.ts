import type { PluralMessages } from '../messages.js';
import type en from '../en/retention.js';

// 장치별 원시 데이터 보존 화면의 한국어 메시지.
const ko: PluralMessages<typeof en> = {
  title: '장치별 원시 데이터 보존',
  note: '장치마다 원시 측정값을 얼마나 오래 보관하는지와 그 근거입니다. 롤업은 더 오래 보관되고, 가져온 범위는 오래되어도 유지됩니다(docs/retention.md).',
  defaults: '기본값: 원시 {{raw}}, 1분 롤업 {{minute}}, 1시간 롤업 {{hour}}.',
  loading: '보존 설정을 불러오는 중…',
  none: '아직 장치가 없습니다.',
  hours: '{{value}}시간',
  days: '{{value}}일',
  col: {
    device: '장치',
    profile: '프로파일',
    raw: '원시 보관',
    source: '설정 출처',
    cutoff: '이 시각 이전 원시 데이터 삭제',
    holds: '유지 범위',
  },
  source: {
    device: '이 장치(API)',
    'device-config': '이 장치(설정 파일)',
    profile: '프로파일',
    default: '기본값',
  },
  holdsCount_other: '{{count}}개 범위',
  formTitle: '장치의 원시 데이터 보존 변경',
  device: '장치',
  rawRetentionHours: '원시 측정값 보관 시간',
  hoursHint: '0보다 크고 최대 {{max}}시간.',
  save: '저장',
  reset: '프로파일 또는 기본값으로 되돌리기',
  saved: '{{device}}: 원시 측정값 {{retention}} 보관.',
};
export default ko;
