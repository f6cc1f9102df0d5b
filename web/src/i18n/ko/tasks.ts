import type { Messages } from '../messages.js';
import type en from '../en/tasks.js';

// 운영 화면(#/manage)이 함께 쓰는 한국어 메시지: 탭, 역할, 규칙별 거부 사유.
const ko: Messages<typeof en> = {
  nav: '운영',
  title: '운영',
  tabsLabel: '운영 화면',
  screen: {
    rules: '알람 규칙',
    commands: '명령',
    channels: '알림 채널',
    profiles: '프로파일',
    ota: '펌웨어(OTA)',
    equipment: '사이트·설비',
    mappings: '토픽 매핑',
    rejected: '거부된 메시지',
    models: '모델',
    import: '일괄 가져오기',
    retention: '데이터 보존',
    audit: '감사 로그',
    stats: '알람 통계',
    access: '사용자·키·장치 인증',
  },
  roles: {
    viewer: '조회자',
    operator: '운영자',
    admin: '관리자',
  },
  roleNeeded: '변경하려면 {{needed}} 역할이 필요합니다. 현재 {{role}}(으)로 로그인되어 있어 조회만 할 수 있습니다.',
  failure: {
    forbidden: '현재 역할({{role}})로는 할 수 없는 작업입니다.',
    rateLimited: '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
    rateLimitedFor: '요청이 너무 많습니다. {{seconds}}초 후에 다시 시도하세요.',
    signIn: '로그인한 뒤에 할 수 있습니다.',
    notFound: '찾을 수 없습니다: {{message}}',
    other: '{{message}}',
  },
  rule: {
    required: '필수 항목입니다.',
    pattern: '영문자, 숫자, _ . - 만 쓸 수 있습니다(영문자나 _로 시작).',
    minimum: '값이 너무 작습니다.',
    maximum: '값이 너무 큽니다.',
    minLength: '너무 짧습니다.',
    maxLength: '너무 깁니다.',
    type: '숫자를 입력하세요.',
    order: '최솟값이 최댓값보다 클 수 없습니다.',
    range: '불감대가 너무 커서 범위 안에서 해제될 여지가 없습니다.',
    enum: '허용된 값이 아닙니다.',
    min_items: '하나 이상 지정하세요.',
    matches_url: '편집 중인 이름과 다릅니다.',
    reserved: '예약된 이름입니다.',
    not_found: '찾을 수 없습니다.',
    minItems: '하나 이상 고르세요.',
    exclusiveMinimum: '0보다 커야 합니다.',
    enough_history: '이 구간에 저장된 데이터가 너무 적어 학습할 수 없습니다.',
    no_history: '되돌아갈 이전 활성 버전이 없습니다.',
    window: '모델의 윈도에 필요한 저장 데이터가 아직 부족합니다.',
  },
  ruleAt: {
    from: { order: '시작이 끝보다 앞서야 합니다.' },
  },
};
export default ko;
