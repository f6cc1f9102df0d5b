import type { Messages } from '../messages.js';
import type en from '../en/ota.js';

// 펌웨어(OTA) 화면의 한국어 메시지.
const ko: Messages<typeof en> = {
  uploadTitle: '펌웨어 업로드',
  upload: '업로드',
  imagesTitle: '펌웨어 이미지',
  noImages: '업로드한 펌웨어가 없습니다.',
  rolloutNew: '배포',
  start: '배포 시작',
  choose: '선택…',
  rolloutsTitle: '배포 내역',
  noRollouts: '아직 배포한 적이 없습니다.',
  rolloutTitle: '{{version}} → {{target}} 배포',
  watch: '보기',
  cancel: '배포 취소',
  progressOf: '{{device}} 진행률',
  field: {
    file: '이미지 파일',
    version: '버전',
    firmware: '펌웨어',
    targetKind: '배포 대상',
    concurrency: '동시 업데이트 장치 수',
  },
  target: {
    profile: '프로파일',
    equipment: '설비',
    devices: '장치 목록',
    device: '장치',
  },
  targetValue: {
    profile: '프로파일',
    equipment: '설비 ID',
    devices: '장치 ID',
  },
  hint: {
    devices: '쉼표나 공백으로 구분합니다. 장치마다 배포가 하나씩 만들어집니다',
    concurrency: '한 번에 업데이트할 장치 수',
  },
  col: {
    version: '버전',
    name: '파일',
    size: '크기',
    sha256: 'SHA-256',
    uploaded: '업로드',
    target: '대상',
    concurrency: '동시',
    status: '상태',
    started: '시작',
    actions: '작업',
    device: '장치',
    progress: '진행률',
    reason: '사유',
  },
  rolloutStatus: {
    running: '진행 중',
    done: '완료',
    cancelled: '취소됨',
  },
  job: {
    queued: '대기',
    sent: '전송됨',
    downloading: '다운로드 중',
    verifying: '검증 중',
    success: '업데이트됨',
    failed: '실패',
  },
};
export default ko;
