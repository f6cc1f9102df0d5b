// English messages of the commands screen.
export default {
  title: 'Send a command',
  send: 'Send',
  sent: 'Commands sent to {{device}}',
  none: 'No commands sent to this device yet.',
  field: {
    device: 'Device',
    name: 'Command',
  },
  builtIn: {
    set_interval: 'Set reporting interval',
    set_threshold: 'Set on-device threshold',
    reboot: 'Reboot',
  },
  param: {
    set_interval: { ms: 'Interval (ms)' },
    set_threshold: { metric: 'Metric', low: 'Low', high: 'High' },
  },
  col: {
    name: 'Command',
    params: 'Parameters',
    status: 'Status',
    attempts: 'Attempts',
    sent: 'Sent',
    reason: 'Reason',
  },
  status: {
    pending: 'pending',
    delivered: 'delivered',
    acked: 'acknowledged',
    failed: 'failed',
    timed_out: 'timed out',
  },
};
