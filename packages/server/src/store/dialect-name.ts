/** The storage backends Signet runs on. */
export type DialectName = 'sqlite' | 'postgres';
