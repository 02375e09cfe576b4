import { VisitError } from './errors.js';
import type { VisitMedia } from './visit-media.js';

/**
 * The one media set of a visit, created on first use. Concurrent first requests share the
 * pending creation, so a visit never gets two media sets; a failed creation is retried by the
 * next request; a set that arrives after {@link close} is closed at once.
 *
 * @example
 * const slot = new VisitMediaSlot(() => createMedia());
 * const [a, b] = await Promise.all([slot.get(), slot.get()]); // a === b
 */
export class VisitMediaSlot {
  readonly #create: () => Promise<VisitMedia>;
  #pending?: Promise<VisitMedia>;
  #ready?: VisitMedia;
  #closed = false;

  constructor(create: () => Promise<VisitMedia>) {
    this.#create = create;
  }

  /** The media set once created (undefined while none is). */
  get ready(): VisitMedia | undefined {
    return this.#ready;
  }

  /**
   * The media set, creating it on the first call.
   * @throws {VisitError} `VISIT_ENDED` after {@link close}.
   */
  get(): Promise<VisitMedia> {
    if (this.#closed) {
      return Promise.reject(new VisitError('VISIT_ENDED', 'this visit has ended'));
    }

    this.#pending ??= this.#create().then(
      (media) => {
        if (this.#closed) {
          media.close();
          throw new VisitError('VISIT_ENDED', 'this visit has ended');
        }
        this.#ready = media;
        return media;
      },
      (error: unknown) => {
        this.#pending = undefined;
        throw error;
      },
    );

    return this.#pending;
  }

  close(): void {
    this.#closed = true;
    this.#ready?.close();
  }
}
