// Point sprites: one point per particle (or pin head), lifted towards the camera by u_lift
// world units so a sprite resting on the surface is not cut by it.
in vec3 a_position;
in vec4 a_color;

uniform mat4 u_modelview;
uniform mat4 u_projection;
uniform float u_size;  // diameter, pixels
uniform float u_lift;

out vec4 v_color;

void main() {
    vec4 eye = u_modelview * vec4(a_position, 1.0);
    eye.xyz += normalize(-eye.xyz) * u_lift;
    gl_Position = u_projection * eye;
    gl_PointSize = u_size;
    v_color = a_color;
}
