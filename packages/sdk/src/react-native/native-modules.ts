import * as AsyncStorageModule from '@react-native-async-storage/async-storage';
import { AppState } from 'react-native';
import type { AppStateLike } from './app-state.ts';
import { type AsyncStorageLike, asyncStorageOf } from './async-storage.ts';

/*
 * The only file that imports React Native and AsyncStorage: what an app gets without passing
 * anything. Tests under Node replace this module (they never load React Native); an app may also
 * pass `appState` or `asyncStorage` to `Signet.init`. Typed through the SDK's own small
 * interfaces, so that the published declarations name neither package.
 */

export const nativeAppState: AppStateLike = AppState;
export const nativeAsyncStorage: AsyncStorageLike = asyncStorageOf(AsyncStorageModule);
