export default function Home() {
  return <main>Portico</main>;
}
