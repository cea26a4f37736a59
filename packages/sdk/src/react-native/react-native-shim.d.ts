// React Native is not installed in this repository (its tests never load it): the one export the
// SDK imports, as far as the SDK uses it. Not part of the published declarations.
declare module 'react-native' {
  export const AppState: import('./app-state.ts').AppStateLike;
}
