import type { Messages } from '../messages.js';
import type en from '../en/device-admin.js';

// 장치 페이지의 등록 정보 패널(이름, 위치, 태그, 프로파일, 삭제)과 OTA 이력 메시지 (한국어).
const ko: Messages<typeof en> = {
  title: '등록 정보',
  name: '이름',
  location: '위치',
  tags: '태그',
  profile: '프로파일',
  equipment: '설비',
  notes: '메모',
  notGiven: '—',
  noProfile: '(프로파일 없음)',
  edit: '편집',
  save: '저장',
  cancel: '취소',
  saved: '저장했습니다.',
  editTitle: '{{device}} 편집',
  hint: {
    tags: '쉼표로 구분, 최대 64개, 각 64자 이내',
    profile: '이후 메시지는 이 프로파일로 검사합니다',
    notes: '다음 담당자를 위한 자유 기술, 4,000자까지',
  },
  bind: '프로파일 지정',
  bound: '프로파일을 지정했습니다.',
  remove: '장치 삭제…',
  confirmRemove: '{{device}}을(를) 삭제할까요? 메타데이터와 목록의 자리는 사라지고, 측정값은 이력으로 남으며, 다시 전송하면 목록에 돌아옵니다.',
  removeYes: '예, {{device}} 삭제',
  removeNo: '유지',
  rule: {
    exists: '그런 프로파일이 없습니다.',
    maxItems: '태그가 너무 많습니다(최대 64개).',
    maxLength: '너무 깁니다(태그 64자, 이름·위치 200자, 메모 4,000자).',
  },
  ota: {
    title: '펌웨어 업데이트',
    none: '이 장치에 보낸 펌웨어 업데이트가 없습니다.',
    loading: '펌웨어 업데이트를 불러오는 중…',
    col: {
      version: '버전',
      rollout: '배포',
      status: '상태',
      progress: '진행률',
      started: '시작',
      finished: '종료',
      reason: '사유',
    },
    progressOf: '{{version}} 업데이트 진행률',
    open: '펌웨어 화면',
  },
};

export default ko;
