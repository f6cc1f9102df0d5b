// English messages of the sign-in page.
export default {
  title: 'Sign in',
  required: 'This Fieldscope needs you to sign in before it shows anything.',
  username: 'User name',
  password: 'Password',
  submit: 'Sign in',
  busy: 'Signing in…',
  anonymous: 'Continue without signing in',
  badCredentials: 'Wrong user name or password',
  badInput: 'Check the user name (letters, digits, _ . @ -) and password.',
  locked: 'Too many attempts; wait before trying again.',
  unreachable: 'Could not reach the server: {{message}}',
  wait: '({{seconds}} s)',
  expired: 'Your sign-in has ended; sign in again.',
};
