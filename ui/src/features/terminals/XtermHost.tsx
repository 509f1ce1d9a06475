/** The lazily loaded part of a pane: mounts an XtermSession and keeps it in step with props. */
import Box from '@mui/material/Box';
import { useEffect, useRef, type MutableRefObject } from 'react';
import { client } from '../../state/store';
import type { ConnectionState } from './terminal-connection';
import { XtermSession } from './xterm-session';

export interface XtermHostProps {
  id: string;
  sandbox: string;
  session: string;
  visible: boolean;
  running: boolean;
  mode: 'light' | 'dark';
  onState: (s: ConnectionState) => void;
  onFind: () => void;
  sessionRef: MutableRefObject<XtermSession | null>;
}

export default function XtermHost({ id, sandbox, session, visible, running, mode, onState, onFind, sessionRef }: XtermHostProps) {
  const el = useRef<HTMLDivElement>(null);
  const callbacks = useRef({ onState, onFind });
  callbacks.current = { onState, onFind };

  useEffect(() => {
    const s = new XtermSession({
      id,
      mode,
      endpoint: () => client().transport.openTerminal(sandbox, session).then((e) => e.url),
      onState: (st) => callbacks.current.onState(st),
      onFind: () => callbacks.current.onFind(),
    });
    s.attach(el.current!);
    sessionRef.current = s;
    return () => {
      sessionRef.current = null;
      s.dispose();
    };
    // mode is applied by its own effect; a new session only for a new pane
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, sandbox, session]);

  useEffect(() => {
    const s = sessionRef.current;
    if (!s) return;
    if (running) s.connect();
    else s.disconnect();
  }, [running, id, sessionRef]);

  useEffect(() => {
    sessionRef.current?.setVisible(visible);
    if (visible) sessionRef.current?.focus();
  }, [visible, id, sessionRef]);

  useEffect(() => sessionRef.current?.setMode(mode), [mode, sessionRef]);

  return <Box ref={el} data-testid={`xterm-${id}`} sx={{ position: 'absolute', inset: 0, p: 0.5, bgcolor: mode === 'dark' ? '#1b1c1f' : '#ffffff' }} />;
}
