//go:build race

package download

// raceEnabled: the race detector slows the large download tenfold.
const raceEnabled = true
