import type { MonitorSnapshot } from '../monitor/index.js';
import { renderFrame } from './frame.js';

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const HOME = '\x1b[H';

const CTRL_C = '\u0003';

/**
 * Whether to draw in color: not when NO_COLOR is set to anything but the empty string
 * (https://no-color.org).
 */
export function colorWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR;
}

export interface TerminalViewOptions {
  /** Shown in the footer, e.g. the console's URL and how to quit. */
  readonly footer: string;
  /** Bold and inverse titles; default: colorWanted(). */
  readonly color?: boolean;
  /**
   * The keyboard: `q` (or Ctrl-C, which a terminal in raw mode no longer turns into SIGINT)
   * calls onQuit. Only read when it is a terminal.
   */
  readonly input?: NodeJS.ReadStream;
  readonly onQuit?: () => void;
}

/**
 * Draws snapshots full-screen on a terminal, like `top`: the alternate screen, no cursor,
 * each frame written over the previous one from the top-left corner; `q` quits. `close` (also
 * run on process exit) gives the terminal back as it was.
 */
export class TerminalView {
  private last: MonitorSnapshot | undefined;
  private open = false;
  private readonly color: boolean;
  private readonly restore = (): void => this.close();
  private readonly onResize = (): void => {
    if (this.last) this.draw(this.last);
  };
  private readonly onKey = (key: string): void => {
    if (key === 'q' || key === 'Q' || key === CTRL_C) this.options.onQuit?.();
  };

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly options: TerminalViewOptions,
  ) {
    this.color = options.color ?? colorWanted();
  }

  start(): void {
    this.open = true;
    this.out.write(ALT_SCREEN_ON + CURSOR_HIDE);
    this.out.on('resize', this.onResize);
    process.once('exit', this.restore);
    const input = this.options.input;
    if (input?.isTTY && this.options.onQuit) {
      input.setRawMode(true);
      input.setEncoding('utf8');
      input.on('data', this.onKey);
      input.resume();
    }
  }

  draw(snapshot: MonitorSnapshot): void {
    if (!this.open) return;
    this.last = snapshot;
    const width = this.out.columns || 80;
    const height = this.out.rows || 24;
    this.out.write(
      HOME +
        renderFrame(snapshot, width, height, { color: this.color, footer: this.options.footer }),
    );
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.out.off('resize', this.onResize);
    process.off('exit', this.restore);
    const input = this.options.input;
    if (input?.isTTY && this.options.onQuit) {
      input.off('data', this.onKey);
      input.setRawMode(false);
      input.pause();
    }
    this.out.write(CURSOR_SHOW + ALT_SCREEN_OFF);
  }
}
