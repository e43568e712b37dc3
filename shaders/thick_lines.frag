// Thick line: the colour, its edges anti-aliased over about one pixel.
in vec4 v_color;
in float v_across;

uniform float u_width;

out vec4 frag_color;

void main() {
    float coverage = 1.0 - smoothstep(1.0 - 2.0 / max(u_width, 1.0), 1.0, abs(v_across));
    frag_color = vec4(v_color.rgb, v_color.a * coverage);
}
