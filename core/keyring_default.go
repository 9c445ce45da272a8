package core

import "fmt"

// NewEphemeralKeyRing returns a per-process, in-memory key ring with one fresh key of alg
// ("" means DefaultAlgorithm). Its tokens do not survive a restart, and no other instance
// accepts them. It is what New builds when Config.Keys is nil over a ProcessLocal store;
// over a store that could share keys (a KeyStore that is not ProcessLocal), setting
// Config.Keys to it is the explicit opt-out from that sharing, for tests and single-process
// development. Production deployments share a NewStoreKeyRing instead.
func NewEphemeralKeyRing(alg string) (*StaticKeyRing, error) {
	if alg == "" {
		alg = DefaultAlgorithm
	}
	k, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	return NewStaticKeyRing(k)
}

// defaultKeyRing is the key ring New uses when Config.Keys is nil: an ephemeral one, unless
// the store can keep the keys every instance shares (a KeyStore that is not ProcessLocal).
// There, per-process keys would make each instance refuse the others' tokens, and New has no
// KEK to build the shared ring with (the environment is never read implicitly), so it refuses
// and says what to set.
func defaultKeyRing(store Store, alg string) (KeyRing, error) {
	_, keeps := store.(KeyStore)
	local, isLocal := store.(ProcessLocal)
	if keeps && (!isLocal || !local.ProcessLocal()) {
		return nil, fmt.Errorf("%w: Config.Keys is nil, but the store (%T) can keep signing keys shared by every instance: "+
			"set Config.Keys to core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: kek}) with the KEK from "+
			"core.KEKFromEnv (%s); a per-process in-memory key ring would make each instance refuse the others' tokens, "+
			"and its own after a restart. For tests or single-process development, set Config.Keys to "+
			"core.NewEphemeralKeyRing(\"\") to choose per-process keys explicitly", ErrConfig, store, KEKEnv)
	}
	return NewEphemeralKeyRing(alg)
}
