export { type ArgScheme } from './arg-scheme';
export { SchemeRegistry, UnknownSchemeError } from './scheme-registry';
