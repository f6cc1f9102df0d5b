// English messages of the pieces every dashboard page shows (online state, times, values, not found).
export default {
  online: 'online',
  offline: 'offline',
  never: 'never',
  noProfile: 'no profile',
  noReadings: 'no readings yet',
  lastSeen: 'last seen',
  valueStatus: {
    normal: 'normal',
    warning: 'warning',
    alarm: 'alarm',
  },
  range: {
    normal: 'normal {{low}}…{{high}}',
    valid: 'valid {{low}}…{{high}}',
  },
  severity: {
    critical: 'critical',
    major: 'major',
    minor: 'minor',
    warning: 'warning',
    info: 'info',
  },
  notFound: {
    nothingAt: 'Nothing at',
    back: 'Back to all devices',
  },
  seriesShown: 'series shown on the chart',
};
