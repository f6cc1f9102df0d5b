// English messages of the dead letters screen (refused messages).
export default {
  title: 'Refused messages',
  note: 'Every message Fieldscope refused (bad JSON, a value that is not a number, an unmapped topic, too large…), kept with its raw payload, the field and the rule it broke; newest first (docs/ingest.md, “Bad input”).',
  device: 'Device',
  filter: 'Show',
  loading: 'Loading refused messages…',
  none: 'No refused messages.',
  noDevice: 'unknown',
  older: 'Older',
  col: {
    at: 'Received',
    source: 'Source',
    device: 'Device',
    reason: 'Field · rule, reason',
    payload: 'Payload',
  },
};
