import type { Messages } from '../messages.js';
import type en from '../en/equipment.js';

// 사이트·설비 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '사이트와 설비',
  loading: '설비를 불러오는 중…',
  none: '등록된 설비가 없습니다.',
  site: '사이트',
  line: '라인 / 편성',
  unknown: '(미지정)',
  noSensors: '연결된 센서가 없습니다.',
  unassigned: '설비에 연결되지 않은 장치: {{devices}}',
  addTitle: '설비 추가',
  add: '추가',
  assignTitle: '센서를 설비에 연결',
  assign: '연결',
  none_: '(없음)',
  field: {
    id: 'ID',
    name: '이름',
    location: '위치',
    device: '장치',
    equipment: '설비',
  },
  hint: {
    location: '사이트 / 라인 형식(예: “부산 차량기지 / 12편성”). 센서 토픽에 있으면 그 값을 씁니다',
  },
  // 설비 이름 변경과 삭제 (screens-devices).
  rename: '이름 변경',
  renameOne: '{{name}} 이름 변경',
  save: '저장',
  cancel: '취소',
  remove: '삭제',
  removeOne: '{{name}} 삭제',
  confirmRemove: '{{name}}({{id}})을(를) 삭제할까요? 센서는 설비 없이 남습니다.',
  removeYes: '예, 삭제',
  removeNo: '유지',
};
export default ko;
