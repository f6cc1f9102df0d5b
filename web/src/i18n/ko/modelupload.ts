import type { Messages } from '../messages.js';
import type en from '../en/modelupload.js';

// 모델 화면의 번들 업로드 양식(POST /api/v1/serve-ml/bundles) 한국어 메시지.
const ko: Messages<typeof en> = {
  title: '번들 업로드',
  note: '번들은 manifest.json과 거기에 적힌 모델 파일들입니다(docs/models.md, “Bundles”). 다른 버전과 함께 보관되며, 슬롯에서 가장 새 버전이거나 활성화할 때만 사용됩니다.',
  manifest: '매니페스트(manifest.json)',
  files: '모델 파일',
  filesHint: '최대 16개, 예: autoencoder.onnx, rul.onnx, xgb.json.',
  run: '업로드',
  running: '업로드 중…',
  done: '{{id}}을(를) 업로드했습니다.',
  manifestErrors: '매니페스트가 거부되었습니다:',
  rule: {
    json: '올바른 JSON이 아닙니다.',
    object: 'JSON 객체여야 합니다.',
    range: '허용 범위를 벗어났습니다.',
    name: '영문자, 숫자, . _ : - 만 쓸 수 있습니다.',
    device_id: '장치 ID여야 합니다(영문자, 숫자, . _ : -).',
    enum: '허용된 값이 아닙니다.',
    min_items: '하나 이상 지정하세요.',
    unique: '이미 있습니다. 새 값을 쓰세요.',
    length: '특징마다 숫자 하나씩이어야 합니다.',
    positive: '모든 값이 0보다 커야 합니다.',
    onnx_file: '번들 안의 .onnx 파일을 지정해야 합니다.',
    json_file: '번들 안의 XGBoost .json 파일을 지정해야 합니다.',
    classifier_only: 'XGBoost는 분류기에만 쓸 수 있습니다.',
    required: '필수 항목입니다.',
    number: '숫자여야 합니다.',
    string: '텍스트여야 합니다.',
    base64: '파일을 읽을 수 없습니다.',
    file_name: '단순한 파일 이름을 쓰세요(영문자, 숫자, . _ -).',
    available: '이 런타임은 여기서 쓸 수 없습니다.',
    maxProperties: '파일은 최대 16개입니다.',
  },
};
export default ko;
