import { DomainError } from '../model/errors.js';

export { DomainError } from '../model/errors.js';

export const notFound = (what: string) => new DomainError(404, `${what} not found`, undefined, 'not_found');
