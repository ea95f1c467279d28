// Types of scripts/chromium.mjs, for the browser tests.
import type { Browser, LaunchOptions } from 'playwright-core';

export declare const CHROMIUM_ARGS: string[];
export declare function chromiumExecutable(): Promise<{ path: string; env: Record<string, string | undefined> | undefined; origin: string }>;
export declare function launchChromium(options?: LaunchOptions): Promise<Browser>;
