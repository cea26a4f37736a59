import type { ComponentChildren } from 'preact';
import type { Resource } from '../use-resource.ts';

/* The loading, error and empty states every page shows. */

export function Loading({ what }: { what: string }) {
  return (
    <p class="status" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, retry }: { error: Error; retry?: () => void }) {
  const code = (error as { code?: string }).code;
  return (
    <div class="notice error" role="alert">
      <p>
        {error.message}
        {code && code !== 'NETWORK' && <span class="code"> ({code})</span>}
      </p>
      {retry && (
        <button type="button" class="secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** Renders a resource's loading or error state, or `ready` with its data. */
export function Load<T>(props: {
  resource: Resource<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  const { resource } = props;
  if (resource.state === 'loading') return <Loading what={props.what} />;
  if (resource.state === 'error') return <ErrorNotice error={resource.error} retry={resource.reload} />;
  return <>{props.children(resource.data)}</>;
}
