import type { PluralMessages } from '../messages.js';
import type en from '../en/models.js';

// 모델 화면의 한국어 메시지.
const ko: PluralMessages<typeof en> = {
  title: '모델',
  loading: '모델을 불러오는 중…',
  none: '모델 번들이 없습니다(docs/models.md 참고: --models 또는 업로드).',
  loadErrors_other: '번들 {{count}}개를 불러오지 못했습니다(GET /api/v1/serve-ml/bundles에서 사유 확인).',
  active: '사용 중',
  inactive: '대기',
  rulTitle: '장치별 잔여 수명(RUL)',
  days: '{{value}}일',
  col: {
    equipment: '설비',
    power: '출력',
    version: '버전',
    runtime: '런타임',
    status: '상태',
    scores: '학습 점수',
    device: '장치',
    predictions: '예측 수',
    latestRul: '최근 RUL',
    minRul: '최저 RUL',
    anomalies: '이상 건수',
  },
};
export default ko;
