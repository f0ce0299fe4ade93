import { Composer, type Context, type Middleware, type MiddlewareFn, type NextFunction } from "grammy";

type MaybePromise<T> = T | Promise<T>;

/**
 * A grammY Composer whose middleware costs nothing per update that could be built once, with the same
 * behaviour as grammY's (every method, `command`, `on`, `chatType`, `callbackQuery`..., goes through the
 * three overridden here).
 *
 * Why: grammY's Composer nests two async functions per `use()` and builds a whole new Composer per update
 * for every `filter()` (`branch()` goes through `lazy()`). An update that passes 30 filters on its way to
 * the conversation allocates hundreds of closures, promises and suspended frames, and keeps them all
 * while it waits for the Bot API or the CRM: under load they outlive the young generation, and the load
 * bench measured a quarter of the bot's CPU in the garbage collector. Here a composer is a flat list run
 * by one dispatcher built once, a filter that does not match hands on with a plain `return next()` (no
 * frame kept), and both sides of a branch are built when it is declared. One check of grammY's is left
 * out: a middleware must call `next()` at most once (none of the bot's calls it twice; grammY throws,
 * here a second call runs the layers after the next one).
 */
export class LeanComposer<C extends Context> extends Composer<C> {
  /** Read live by the dispatcher: middleware added after this composer was installed still runs, as in grammY. */
  private readonly layers: MiddlewareFn<C>[] = [];
  private readonly dispatch: MiddlewareFn<C>;

  constructor(...middleware: Array<Middleware<C>>) {
    super();
    const layers = this.layers;
    layers.push(...middleware.map(flatten));
    this.dispatch = (ctx, next) => {
      // Most composers are use()'s of one middleware: its `next` is the one after this composer.
      const only = layers.length === 1 ? layers[0] : undefined;
      if (only) return call(only, ctx, next);
      // One `next` for every layer of this run: each layer calls it once, after the one before it, so a
      // cursor tells which layer comes next (a closure per layer and update would say the same).
      let i = 0;
      const step = (): Promise<void> => {
        const layer = layers[i++];
        return layer === undefined ? next() : call(layer, ctx, step);
      };
      return step();
    };
  }

  override middleware(): MiddlewareFn<C> {
    return this.dispatch;
  }

  override use(...middleware: Array<Middleware<C>>): Composer<C> {
    const composer = new LeanComposer(...middleware);
    this.layers.push(composer.middleware());
    return composer;
  }

  override filter<D extends C>(predicate: (ctx: C) => ctx is D, ...middleware: Array<Middleware<D>>): Composer<D>;
  override filter(predicate: (ctx: C) => MaybePromise<boolean>, ...middleware: Array<Middleware<C>>): Composer<C>;
  override filter(predicate: (ctx: C) => MaybePromise<boolean>, ...middleware: Array<Middleware<C>>): Composer<C> {
    const composer = new LeanComposer(...middleware);
    this.branch(predicate, composer, pass);
    return composer;
  }

  override branch(
    predicate: (ctx: C) => MaybePromise<boolean>,
    trueMiddleware: Middleware<C> | Middleware<C>[],
    falseMiddleware: Middleware<C> | Middleware<C>[],
  ): Composer<C> {
    const yes = new LeanComposer(...[trueMiddleware].flat()).middleware();
    const no = new LeanComposer(...[falseMiddleware].flat()).middleware();
    return this.use((ctx, next) => {
      const decision = predicate(ctx);
      // grammY's own predicates (commands, filter queries, chat types) answer at once: no promise then.
      if (decision instanceof Promise) return decision.then((ok) => (ok ? yes(ctx, next) : no(ctx, next)));
      return decision ? yes(ctx, next) : no(ctx, next);
    });
  }
}

const pass = (_ctx: Context, next: NextFunction): Promise<void> => next();

/** Runs one layer, resolving when the rest of the chain has run, as grammY's `next` does. */
function call<C extends Context>(layer: MiddlewareFn<C>, ctx: C, next: NextFunction): Promise<void> {
  try {
    // What it resolves with is whatever the middleware returned, which grammY's callers never read: no `.then` for it.
    return Promise.resolve(layer(ctx, next)) as Promise<void>;
  } catch (error) {
    // A middleware that throws before its first await rejects like an async one would.
    return Promise.reject(error);
  }
}

/** A composer's middleware is read when it runs, so that one extended after it was installed runs whole. */
function flatten<C extends Context>(middleware: Middleware<C>): MiddlewareFn<C> {
  if (typeof middleware === "function") return middleware;
  if (middleware instanceof LeanComposer) return middleware.middleware();
  return (ctx, next) => middleware.middleware()(ctx, next);
}
