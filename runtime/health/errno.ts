// The event daemon's result codes that ctdbd treats specially (positive errno values, Linux).
export const ETIMEDOUT = 110;
export const ECANCELED = 125;
