// Where the servers that playwright.config.ts starts are. The config puts
// these in process.env before any spec is loaded, in every process.

/** The JWT lifetime and session idle timeout of the short-lived server, in seconds. */
export const SHORT_TTL_SECONDS = 4;

/** The JWT lifetime of the main server: the app's default, 15 minutes. */
export const MAIN_TTL_SECONDS = 15 * 60;

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`e2e: ${name} is not set; run the suite through playwright.config.ts`);
  return v;
}

/** mainURL is the server with the app's default lifetimes, the baseURL of every spec by default. */
export const mainURL = () => required('AUTHLAB_E2E_MAIN_URL');

/** shortURL is the server with SHORT_TTL_SECONDS lifetimes, for the expiry specs. */
export const shortURL = () => required('AUTHLAB_E2E_SHORT_URL');

/** jwtSecret is the HMAC key both servers sign with. */
export const jwtSecret = () => required('AUTHLAB_E2E_JWT_SECRET');

/** pgAURL and pgBURL are two instances on one PostgreSQL database, for the multi-instance spec. */
export const pgAURL = () => required('AUTHLAB_E2E_PG_A_URL');
export const pgBURL = () => required('AUTHLAB_E2E_PG_B_URL');
