import type { MonitorSnapshot } from '../monitor/index.js';
import { renderFrame } from './frame.js';

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const HOME = '\x1b[H';

/**
 * Draws snapshots full-screen on a terminal, like `top`: the alternate screen, no cursor,
 * each frame written over the previous one from the top-left corner. `close` (also run on
 * process exit) gives the terminal back as it was.
 */
export class TerminalView {
  private last: MonitorSnapshot | undefined;
  private open = false;
  private readonly restore = (): void => this.close();
  private readonly onResize = (): void => {
    if (this.last) this.draw(this.last);
  };

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly footer: string,
  ) {}

  start(): void {
    this.open = true;
    this.out.write(ALT_SCREEN_ON + CURSOR_HIDE);
    this.out.on('resize', this.onResize);
    process.once('exit', this.restore);
  }

  draw(snapshot: MonitorSnapshot): void {
    if (!this.open) return;
    this.last = snapshot;
    const width = this.out.columns || 80;
    const height = this.out.rows || 24;
    this.out.write(
      HOME + renderFrame(snapshot, width, height, { color: true, footer: this.footer }),
    );
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.out.off('resize', this.onResize);
    process.off('exit', this.restore);
    this.out.write(CURSOR_SHOW + ALT_SCREEN_OFF);
  }
}
