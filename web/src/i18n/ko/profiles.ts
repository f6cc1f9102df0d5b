import type { Messages } from '../messages.js';
import type en from '../en/profiles.js';

// 장치 프로파일 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '장치 프로파일',
  loading: '프로파일을 불러오는 중…',
  edit: '편집',
  view: '보기',
  editTitle: '프로파일 {{name}}',
  displayNameEn: '표시 이름(영어)',
  displayNameKo: '표시 이름(한국어)',
  newMetric: '새 측정 항목',
  addMetric: '측정 항목 추가',
  save: '프로파일 저장',
  saved: '{{time}}에 저장했습니다. 이 프로파일을 쓰는 모든 장치의 다음 메시지부터 적용됩니다.',
  col: {
    name: '이름',
    displayName: '표시 이름',
    metrics: '측정 항목',
    actions: '작업',
    metric: '측정 항목',
    unit: '단위',
    min: '최솟값',
    max: '최댓값',
    warnLow: '경고 하한',
    warnHigh: '경고 상한',
    labels: '값 라벨(영어 / 한국어)',
  },
  aria: {
    unit: '{{metric}}의 단위',
    range: '{{metric}}의 {{what}}',
    labelEn: '{{metric}} = {{value}}의 영어 라벨',
    labelKo: '{{metric}} = {{value}}의 한국어 라벨',
  },
};
export default ko;
