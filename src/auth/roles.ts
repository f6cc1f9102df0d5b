import { ROLES, type Role, type RouteRole } from '../model/auth.js';

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && (ROLES as readonly string[]).includes(x);
}

/** admin > operator > viewer: a role may do what any role below it may. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The lower of two roles (an API key never outranks the admin who made it, a session never outranks its user). */
export function lowerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

/** A route that declares no role: reading needs a viewer, changing anything needs an operator. */
export function defaultRouteRole(method: string): RouteRole {
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'operator';
}
