export const PADDOCK_VERSION = '0.1.0';
