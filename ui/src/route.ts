/** Hash routes (#/logs?request_id=…): the gateway serves one index.html, no server routing needed. */
import { useEffect, useState } from 'react';

export interface Route {
  page: string;
  params: URLSearchParams;
}

function parse(): Route {
  const h = location.hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  return { page: (q < 0 ? h : h.slice(0, q)) || 'overview', params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(page: string, params?: Record<string, string>): void {
  const q = params ? new URLSearchParams(params).toString() : '';
  location.hash = `#/${page}${q ? `?${q}` : ''}`;
}
