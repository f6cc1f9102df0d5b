import type { Messages } from '../messages.js';
import type en from '../en/audit.js';

// 감사 로그 화면(GET /api/v1/audit)의 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '감사 로그',
  note: 'API로 한 모든 변경(거부된 시도 포함)을 최신순으로 보여 줍니다. 비밀 값은 가려집니다(docs/audit-log.md).',
  actor: '수행자',
  actorHint: '사용자 이름, key:이름, device:ID 또는 anonymous',
  method: '작업',
  methodAny: '전체',
  methods: {
    POST: 'POST(생성, 실행)',
    PUT: 'PUT(교체)',
    PATCH: 'PATCH(변경)',
    DELETE: 'DELETE(삭제)',
  },
  route: '경로 시작',
  from: '시작',
  to: '끝',
  filter: '보기',
  loading: '감사 로그를 불러오는 중…',
  none: '항목이 없습니다.',
  older: '이전',
  col: {
    at: '시각',
    actor: '수행자',
    action: '작업',
    target: '대상',
    status: '응답',
    detail: '자세히',
  },
  detail: '보기',
  before: '변경 전',
  request: '요청',
  after: '변경 후',
  refused: '거부됨',
};
export default ko;
