// English messages of the notification channels screen.
export default {
  title: 'Notification channels',
  loading: 'Loading channels…',
  none: 'No channels configured (see docs/alarms.md).',
  test: 'Send test',
  log: 'Delivery log',
  noLog: 'Nothing sent yet.',
  col: {
    name: 'Channel',
    type: 'Type',
    policy: 'Policy',
    test: 'Test',
    when: 'When',
    kind: 'Kind',
    status: 'Status',
    summary: 'Summary',
  },
  status: {
    sent: 'sent',
    failed: 'failed',
    pending: 'pending',
  },
};
