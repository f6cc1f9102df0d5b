// English messages shared by every page (the header, loading and error states, the language switch).
export default {
  brand: 'Fieldscope',
  nav: {
    devices: 'Devices',
    alarms: 'Alarms',
    admin: 'Admin',
  },
  account: {
    signedInAs: 'signed in as {{name}} ({{role}})',
    signOut: 'Sign out',
    signIn: 'Sign in',
    anonymous: 'anonymous · {{role}}',
    anonymousTitle: 'anonymous access',
  },
  theme: {
    toDark: 'switch to dark theme',
    toLight: 'switch to light theme',
  },
  language: {
    label: 'Language',
    en: 'English',
    ko: '한국어',
  },
  live: {
    title: 'live updates: {{state}}',
    connecting: 'connecting…',
    connected: 'live',
    reconnecting: 'reconnecting…',
    closed: 'offline',
  },
  loading: 'Loading…',
  serverUnreachable: 'Could not reach the server: {{message}}',
};
