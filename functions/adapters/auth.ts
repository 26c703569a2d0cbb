// Google access tokens for the Kubernetes, Compute and Container APIs: a fixed token
// (GOOGLE_OAUTH_ACCESS_TOKEN) or Application Default Credentials, fetched lazily and refreshed
// by google-auth-library. Each request asks for it, so a long run never sends an expired one.
import { ApiError } from '../platform/errors.ts';

/** userinfo.email makes GKE see the service account's email (not its numeric id), so RBAC
 *  bindings written for the email match. */
export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
];

export interface TokenSource {
  readonly kind: 'static' | 'adc';
  /** A currently valid access token (ADC refreshes it ahead of expiry). */
  token(): Promise<string>;
}

export function createTokenSource(opts: { accessToken?: string }): TokenSource {
  const fixed = opts.accessToken;
  if (fixed !== undefined) return { kind: 'static', token: async () => fixed };
  let auth: Promise<{ getAccessToken(): Promise<string | null | undefined> }> | undefined;
  return {
    kind: 'adc',
    async token() {
      // Imported on first use: a function with GOOGLE_OAUTH_ACCESS_TOKEN set never loads it.
      auth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: GOOGLE_SCOPES }));
      try {
        const t = await (await auth).getAccessToken();
        if (!t) throw new Error('Application Default Credentials returned no access token');
        return t;
      } catch (e) {
        throw tokenError(e);
      }
    },
  };
}

function tokenError(e: unknown): ApiError {
  const message = e instanceof Error ? e.message : String(e);
  const noCredentials = /could not load the default credentials/i.test(message);
  return new ApiError({
    api: 'auth',
    op: 'get access token',
    message: `cannot get a Google access token: ${message}`,
    retryable: !noCredentials, // the metadata server can time out; missing credentials stay missing
    fix: noCredentials
      ? 'run with a service account (Cloud Functions), `gcloud auth application-default login`, or set GOOGLE_OAUTH_ACCESS_TOKEN'
      : undefined,
    cause: e,
  });
}
