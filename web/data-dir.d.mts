export function playDataDir(): string;
