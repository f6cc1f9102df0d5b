import type { Messages } from '../messages.js';
import type en from '../en/mappings.js';

// 토픽 매핑 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '토픽 매핑',
  note: '매핑은 장비가 원래 쓰던 토픽에서 장치 ID와 측정값이 어디 있는지 Fieldscope에 알려 줍니다(docs/topic-mappings.md). 설정 파일의 매핑은 읽기 전용이며, 여기서 추가한 매핑은 재시작 없이 브로커에 바로 적용됩니다.',
  loading: '매핑을 불러오는 중…',
  none: '토픽 매핑이 없습니다. 장치는 devices/{id}/… 아래로 보냅니다.',
  deviceDefault: '{device} 또는 페이로드의 device_id',
  col: {
    topic: '토픽 패턴',
    device: '장치 ID 위치',
    metrics: '측정값 위치',
    profile: '프로파일',
    name: '이름',
    origin: '출처',
    actions: '작업',
  },
  origin: {
    config: '설정 파일(읽기 전용)',
    api: '여기서 추가',
  },
  edit: '편집',
  editOne: '{{topic}} 매핑 편집',
  remove: '삭제',
  removeOne: '{{topic}} 매핑 삭제',
  confirmRemove: '{{topic}} 매핑을 삭제할까요?',
  removeYes: '예, 삭제',
  removeNo: '유지',
  addTitle: '매핑 추가',
  editTitle: '매핑 편집',
  add: '매핑 추가',
  save: '매핑 저장',
  cancel: '취소',
  field: {
    topic: '토픽 패턴',
    device: '장치 ID 세그먼트',
    metrics: '측정값 필드',
    profile: '새 장치의 프로파일',
    name: '이름',
  },
  hint: {
    topic: '고정 세그먼트, 임의의 한 세그먼트는 +, 캡처는 {name}, 나머지 전부는 마지막의 #. 예: plant/{site}/{line}/{device}',
    device: '장치 ID가 들어 있는 {name} 세그먼트. 비우면 {device}, 없으면 페이로드의 device_id',
    metrics: '측정값 객체가 들어 있는 페이로드 필드. 예: features',
  },
  // 매핑 검사(src/sources/mappings/topic-mappings.ts)의 거부 사유, 규칙별.
  rule: {
    reserved: 'devices/ 아래 토픽은 Fieldscope 고유 체계라 매핑할 수 없습니다.',
    wildcard: '#은 토픽 패턴의 마지막에만 올 수 있습니다.',
    segment: '각 세그먼트는 고정 문자열, +, {name} 또는 마지막 #이어야 합니다.',
    unique_names: '같은 {name}을 두 번 캡처합니다.',
    captured: '토픽 패턴의 {name} 세그먼트가 아닙니다.',
    field_name: '영문자, 숫자, _만 쓸 수 있습니다.',
    unique: '이미 매핑된 토픽 패턴입니다.',
    unknown: '매핑에 없는 설정입니다.',
    string: '1~128자로 입력하세요.',
    read_only: '설정 파일의 매핑입니다. 설정 파일에서 바꾸세요.',
  },
};
export default ko;
