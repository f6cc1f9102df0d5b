// English messages of the topic mappings screen.
export default {
  title: 'Topic mappings',
  readOnly:
    'Read-only: the mappings come from the configuration (topicMappings, see docs/topic-mappings.md) as GET /health reports them; this version has no API to change them.',
  loading: 'Loading mappings…',
  none: 'No topic mappings configured: devices publish under devices/{id}/….',
  deviceDefault: '{device} or the payload’s device_id',
  col: {
    topic: 'Topic pattern',
    device: 'Device id from',
    metrics: 'Readings in',
    profile: 'Profile',
    name: 'Name',
  },
};
