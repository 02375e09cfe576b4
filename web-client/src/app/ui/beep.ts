/**
 * The urgent-alert tone, made with WebAudio so it needs no audio file. The pattern is a
 * burst of three then two pulses, in the spirit of IEC 60601-1-8's high-priority alarm.
 * Browsers start audio only after a user gesture; {@link AlertSound.ready} tells the console
 * whether to offer an "Enable alert sound" button.
 */
export class AlertSound {
  #context: AudioContext | undefined;
  #played = 0;

  /** How many bursts have played (shown to tests through a data attribute). */
  get played(): number {
    return this.#played;
  }

  /** Whether sound can play now without a further user gesture. */
  get ready(): boolean {
    return this.#context?.state === 'running';
  }

  /** Creates or resumes the audio context; call from a click to unlock audio. */
  async unlock(): Promise<boolean> {
    const Ctor = globalThis.AudioContext;
    if (!Ctor) {
      return false;
    }

    this.#context ??= new Ctor();
    if (this.#context.state === 'suspended') {
      await this.#context.resume().catch(() => undefined);
    }

    return this.ready;
  }

  /** Plays one urgent burst. Returns false when the browser has audio blocked. */
  async playUrgent(): Promise<boolean> {
    const ready = await this.unlock();
    const context = this.#context;
    if (!ready || !context) {
      return false;
    }

    const start = context.currentTime + 0.05;
    const pulses = [0, 0.25, 0.5, 1.0, 1.25];
    for (const offset of pulses) {
      this.#pulse(context, start + offset);
    }
    this.#played += 1;

    return true;
  }

  #pulse(context: AudioContext, at: number): void {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = 'square';
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(0.2, at + 0.02);
    gain.gain.setValueAtTime(0.2, at + 0.15);
    gain.gain.linearRampToValueAtTime(0, at + 0.18);
    osc.connect(gain).connect(context.destination);
    osc.start(at);
    osc.stop(at + 0.2);
  }

  /** Releases the audio device. */
  close(): void {
    void this.#context?.close();
    this.#context = undefined;
  }
}
