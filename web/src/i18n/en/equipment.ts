// English messages of the equipment and sites screen.
export default {
  title: 'Sites and equipment',
  loading: 'Loading equipment…',
  none: 'No equipment yet.',
  site: 'Site',
  line: 'Line / train',
  unknown: '(not given)',
  noSensors: 'No sensors assigned.',
  unassigned: 'Devices without equipment: {{devices}}',
  addTitle: 'Add equipment',
  add: 'Add',
  assignTitle: 'Assign a sensor to equipment',
  assign: 'Assign',
  none_: '(none)',
  field: {
    id: 'Id',
    name: 'Name',
    location: 'Location',
    device: 'Device',
    equipment: 'Equipment',
  },
  hint: {
    location: 'site / line, e.g. “Busan depot / Train 12”, unless its sensors name them in their topic',
  },
};
