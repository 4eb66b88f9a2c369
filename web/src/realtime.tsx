import type { ServerEvents, ServerEventType, ServerMessage } from '@contracts/realtime.js';
import { useEffect, useRef, useState } from 'react';

/**
 * The realtime connection: events tell the page that something changed; the
 * page then reads the state it shows from the API. After a reconnect it reads
 * that state again (the snapshot), so nothing missed while offline is lost and
 * nothing is applied twice. The page says when it is offline.
 */

/** What the page does on each event type it subscribes to (src/contracts/realtime.ts); other types are ignored. */
export type RealtimeHandlers = { [K in ServerEventType]?: (data: ServerEvents[K], at: string) => void };

function dispatch(handlers: RealtimeHandlers, message: ServerMessage): void {
  // Each case narrows the message to one event type, so its handler receives that type's payload.
  switch (message.type) {
    case 'routing.offer':
      handlers[message.type]?.(message.data, message.at);
      break;
    case 'routing.offer.ended':
      handlers[message.type]?.(message.data, message.at);
      break;
    case 'routing.task':
      handlers[message.type]?.(message.data, message.at);
      break;
    case 'routing.agent':
      handlers[message.type]?.(message.data, message.at);
      break;
    case 'queues.stats':
      handlers[message.type]?.(message.data, message.at);
      break;
    case 'hello':
      handlers[message.type]?.(message.data, message.at);
      break;
  }
}

export function useRealtime(on: RealtimeHandlers, onReconnect: () => void): 'online' | 'offline' | 'connecting' {
  const [status, setStatus] = useState<'online' | 'offline' | 'connecting'>('connecting');
  const handlers = useRef({ on, onReconnect });
  handlers.current = { on, onReconnect };

  useEffect(() => {
    let socket: WebSocket | undefined;
    let retry: number | undefined;
    let attempts = 0;
    let stopped = false;
    const connect = () => {
      const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/api/v1/realtime`;
      socket = new WebSocket(url);
      socket.onopen = () => {
        attempts = 0;
        setStatus('online');
        handlers.current.onReconnect();
      };
      socket.onmessage = (event) => {
        try {
          dispatch(handlers.current.on, JSON.parse(String(event.data)) as ServerMessage);
        } catch {
          // A frame we cannot read changes nothing; the next snapshot corrects the page.
        }
      };
      socket.onclose = () => {
        if (stopped) return;
        setStatus('offline');
        attempts += 1;
        retry = window.setTimeout(connect, Math.min(15_000, 500 * 2 ** attempts));
      };
    };
    connect();
    return () => {
      stopped = true;
      if (retry) window.clearTimeout(retry);
      socket?.close();
    };
  }, []);
  return status;
}

export function OfflineBanner({ status }: { status: 'online' | 'offline' | 'connecting' }) {
  if (status === 'online') return null;
  return (
    <p className="offline" role="status">
      {status === 'offline' ? 'Offline — reconnecting. What you see may be out of date.' : 'Connecting…'}
    </p>
  );
}
