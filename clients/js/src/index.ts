// @ballast/client: the Codama-generated client of the Ballast program (instructions, accounts,
// errors, PDAs) and the hand-written layer around it.
export * from './generated';
export * from './addresses';
export * from './positions';
export * from './plans';
export * from './transactions';
