import type { PluralMessages } from '../messages.js';
import type en from '../en/overview.js';

// 장치 개요(카드, 표, 그룹)의 한국어 메시지.
const ko: PluralMessages<typeof en> = {
  title: '장치',
  searchPlaceholder: '이름, ID, 위치, 태그 검색',
  searchLabel: '이름, ID, 프로파일, 위치 또는 태그로 장치 검색',
  typeLabel: '유형',
  anyType: '모든 유형',
  locationLabel: '위치',
  anyLocation: '모든 위치',
  stateLabel: '상태로 거르기',
  state: {
    all: '전체',
    online: '온라인',
    offline: '오프라인',
    alarm: '경보',
  },
  viewLabel: '보기',
  views: {
    table: '표',
    groups: '그룹',
    cards: '카드',
  },
  groupByLabel: '묶는 기준',
  groupBy: {
    site: '사이트',
    equipment: '설비',
    profile: '프로파일',
  },
  loadFailed: '장치 목록을 불러오지 못했습니다: {{error}}',
  retry: '다시 시도',
  loading: '장치 불러오는 중…',
  noDevices: '아직 장치가 없습니다.',
  noDevicesHint: '장치가 첫 메시지를 보내는 즉시 여기에 나타납니다.',
  noMatch: '조건에 맞는 장치가 없습니다.',
  openAlarms_other: '미해결 알람 {{count}}건',
  shown: '장치 {{total}}대 중 {{shown}}대',
  column: {
    status: '상태',
    device: '장치',
    profile: '프로파일',
    location: '위치',
    lastHour: '최근 1시간',
    alarms: '알람',
    completeness: '수신율',
    lastSeen: '마지막 수신',
  },
  sortBy: '{{column}} 기준 정렬',
  sparkline: '최근 1시간 {{metric}}',
  noSparkline: '최근 1시간 데이터 없음',
  completenessTitle: '최근 1시간 순번 메시지 {{expected}}건 중 {{received}}건 수신',
  ungrouped: '(없음)',
  groupSummary: '{{total}}대 중 {{online}}대 온라인',
  groupStatus: {
    alarm: '경보',
    warning: '주의',
    offline: '오프라인',
    normal: '정상',
  },
};
export default ko;
